// Persistence with a common drift: tomorrow = today + drift + noise, where the size of day-to-day changes
// differs by city (each city has its own noise scale).
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real drift;
  vector<lower=0>[num_cities] sigma;
}
model {
  drift ~ normal(0, 5);
  sigma ~ normal(0, 10);
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(day1_temp_train[c, d] + drift, sigma[c]);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(day1_temp_test[c, d] + drift, sigma[c]);
    }
  }
}
