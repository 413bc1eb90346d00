// Straight-line trend in popularity; polls unbiased, each pollster with its own noise level.
data {
  int num_days; // days of the campaign
  int num_pollsters; // number of pollsters
  int num_polls; // number of polls
  array[num_polls] int<lower=1, upper=num_pollsters> pollster; // who ran each poll
  array[num_polls] int<lower=1, upper=num_days> day; // day of each poll
  array[num_polls] real result; // percentage supporting the candidate
}
parameters {
  real start; // support on day 1
  real slope; // points per day
  vector<lower=0>[num_pollsters] poll_sd;
}
transformed parameters {
  vector[num_days] popularity = start + slope * linspaced_vector(num_days, 0, num_days - 1);
}
model {
  start ~ normal(50, 10);
  slope ~ normal(0, 0.2);
  poll_sd ~ exponential(0.2);
  result ~ normal(popularity[day], poll_sd[pollster]);
}
